-- A raster brand logo for PNG QR images (the SVG logo serves SVG images).
ALTER TABLE workspaces ADD COLUMN logo_png bytea;
