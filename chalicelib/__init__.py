"""The API's services and middleware; `app.py` holds only the routes."""
