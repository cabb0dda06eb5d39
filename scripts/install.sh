# Sourced by serve.sh and test.sh: make sure python3 can install packages, then install Berth.
# Usage: install_berth EXTRAS   (e.g. "fast" or "test,scale,fast")

install_berth() {
  if ! python3 -m pip --version >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    else
      echo "python3 has no pip: install python3-pip (Debian) first" >&2
      return 1
    fi
  fi
  # Debian's own Python refuses user installs into the system (PEP 668) unless told otherwise.
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check -e ".[$1]"
}
