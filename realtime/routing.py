from django.urls import path

from realtime.consumers import UserConsumer

websocket_urlpatterns = [path("ws/", UserConsumer.as_asgi())]
