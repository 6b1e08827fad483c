from django.db import models


class Datatype(models.TextChoices):
    """The attribute datatypes of GeoReport v2 service definitions (spelled as the spec does)."""

    STRING = "string", "单行文字"
    NUMBER = "number", "数字"
    DATETIME = "datetime", "日期时间"
    TEXT = "text", "多行文字"
    SINGLE = "singlevaluelist", "单选"
    MULTI = "multivaluelist", "多选"


LIST_TYPES = (Datatype.SINGLE, Datatype.MULTI)
