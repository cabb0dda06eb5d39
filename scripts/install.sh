# Sourced by serve.sh and test.sh: install Berth into the project's own virtual environment
# (.venv), never into the system interpreter, and put it first on PATH.
# Usage: install_berth EXTRAS   (e.g. "fast" or "test,scale,fast")

VENV="${BERTH_VENV:-$PWD/.venv}"

apt_install() {  # apt_install PACKAGE...: as root on Debian, waiting for a held lock
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

install_berth() {
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get -o DPkg::Lock::Timeout=600 update -qq
      apt_install python3-venv
    else
      echo "python3 cannot make a virtual environment: install python3-venv (Debian) first" >&2
      return 1
    fi
  fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV"
  # Reinstall only when the project's requirements or the extras asked for changed.
  local stamp="$VENV/.berth-installed" want
  want="$1 $(sha256sum pyproject.toml | cut -c1-64)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$1]"
    echo "$want" > "$stamp"
  fi
}
