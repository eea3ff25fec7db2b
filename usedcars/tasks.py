"""django-q2 entry points of the usedcars app: take ids, call one service."""
