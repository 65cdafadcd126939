import django_filters

from lockers.models import Beer


class BeerFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(field_name="type", lookup_expr="iexact")

    class Meta:
        model = Beer
        fields = ["type"]
