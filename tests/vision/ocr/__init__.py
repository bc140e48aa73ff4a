"""Tests of the OCR task (vision/ocr)."""
