"""NLP model packages: a shared sentence encoder, sentiment and topics."""
