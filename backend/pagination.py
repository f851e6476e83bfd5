from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (up to 500), with `next` and `previous` links."""

    page_size_query_param = "page_size"
    max_page_size = 500
