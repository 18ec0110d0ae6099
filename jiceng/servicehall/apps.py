from django.apps import AppConfig


class ServicehallConfig(AppConfig):
    name = "jiceng.servicehall"
    label = "servicehall"
    verbose_name = "便民服务"
    nav_items = [
        ("窗口受理", "servicehall:desk", "servicehall.intake"),
        ("代办", "servicehall:agent", "servicehall.proxy"),
        ("便民服务统计", "servicehall:board", "servicehall.view"),
        ("办事指南", "servicehall:guide", "servicehall.view"),
    ]
