"""Stand-ins for dbt's cross-database macros, so sqlfluff's plain jinja templater renders models."""


def dateadd(datepart: str, interval: object, from_date: str) -> str:
    return f"({from_date} + ({interval}) * interval 1 day)"


def datediff(first: str, second: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first}, {second})"


def type_string() -> str:
    return "varchar"


def listagg(measure: str, delimiter: str, order_by: str = "") -> str:
    return f"string_agg({measure}, {delimiter} {order_by})"
