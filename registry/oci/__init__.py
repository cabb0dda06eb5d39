"""The ground floor: pure OCI helpers (digests, media types, names, references, manifests,
streams). Everything else in Berth stands on it; it imports nothing of Berth's."""
