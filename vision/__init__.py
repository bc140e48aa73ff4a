"""Computer-vision model packages: OCR, face, licence plates, planograms."""
