from django.urls import path

from tribu.accounts.views import account_settings

app_name = "api"
urlpatterns = [path("", account_settings, name="tokens")]
