"""Access: who may see what (policy) and the tokens that page through what they may see."""
