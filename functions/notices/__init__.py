"""The notices function: closes the 公示 windows that are over and archives their entries."""
