"""Blob storage: content-addressed bytes and the upload area, behind one small interface."""
from storage.blobs.base import BlobStore, BlobUploadUnknown
from storage.blobs.factory import open_blob_store

__all__ = ["BlobStore", "BlobUploadUnknown", "open_blob_store"]
