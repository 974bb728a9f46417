-- Blob chunks are PNGs (already compressed), SVGs and workbooks: trying
-- pglz on every chunk written costs a task's end more CPU than it saves
-- disk. EXTERNAL keeps large values out of line, uncompressed; a slice
-- of one is read without decompressing the whole. Rows written before
-- keep their storage.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
