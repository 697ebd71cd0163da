from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("pay/<int:tier_id>/", views.pay, name="pay"),
    path("pay/<int:tier_id>/card/", views.card, name="card"),
    path("pay/<int:tier_id>/offline/", views.offline, name="offline"),
    path("portal/", views.portal, name="portal"),
    path("donate/", views.donate, name="donate"),
    path("p/<str:reference>/", views.detail, name="detail"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.record_new, name="record_new"),
    path("manage/company/", views.record_company, name="record_company"),
    path("manage/settings/", views.settings_view, name="settings"),
    path("manage/<int:pk>/record/", views.record, name="record"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
