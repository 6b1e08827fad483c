from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "onewindow.files"
    label = "files"
    verbose_name = "上传文件"
