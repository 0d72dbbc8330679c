"""The index on disk: a folder of plain, versioned files, switched atomically."""
