from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县（区）"
    TOWN = "town", "乡镇（街道）"
    VILLAGE = "village", "村（社区）"


LEVEL_ORDER = [
    RegionLevel.PROVINCE,
    RegionLevel.CITY,
    RegionLevel.COUNTY,
    RegionLevel.TOWN,
    RegionLevel.VILLAGE,
]


class ServicePointKind(models.TextChoices):
    CENTRE = "centre", "县级政务服务中心"
    TOWN_CENTRE = "town_centre", "乡镇（街道）便民服务中心"
    VILLAGE_ROOM = "village_room", "村（社区）便民服务站"


POINT_KIND_FOR_LEVEL = {
    RegionLevel.COUNTY: ServicePointKind.CENTRE,
    RegionLevel.TOWN: ServicePointKind.TOWN_CENTRE,
    RegionLevel.VILLAGE: ServicePointKind.VILLAGE_ROOM,
}


class WindowKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", "综合受理窗口（综窗）"
    DEPARTMENT = "department", "部门专窗"
    RESULT = "result", "统一出件窗口"
