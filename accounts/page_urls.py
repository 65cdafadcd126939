from django.urls import path, re_path

from accounts import pages, passkey_views

app_name = "accounts"

urlpatterns = [
    path("", pages.HomeView.as_view(), name="home"),
    path("accounts/signup/", pages.SignUpView.as_view(), name="signup"),
    path("accounts/verify-email/<str:token>/", pages.EmailVerifyView.as_view(), name="email-verify"),
    path("accounts/password_set/", pages.PasswordSetView.as_view(), name="password-set"),
    path("accounts/login/verify/", pages.SignInVerifyView.as_view(), name="sign-in-verify"),
    path("accounts/login/step-up/", pages.StepUpView.as_view(), name="step-up"),
    path("account/security/", pages.SecurityView.as_view(), name="security"),
    path("account/security/authenticator/", pages.TotpStartView.as_view(), name="totp-start"),
    path("account/security/authenticator/confirm/", pages.TotpConfirmView.as_view(), name="totp-confirm"),
    path("account/security/recovery-codes/", pages.RecoveryCodesView.as_view(), name="recovery-codes"),
    path(
        "account/security/factors/<str:factor_id>/remove/",
        pages.FactorRemoveView.as_view(),
        name="factor-remove",
    ),
    path("account/sessions/", pages.SessionListPageView.as_view(), name="sessions"),
    path(
        "account/sessions/end-others/", pages.SessionsEndOthersPageView.as_view(), name="sessions-end-others"
    ),
    re_path(
        r"^account/sessions/(?P<public_id>[\w-]+)/end/$",
        pages.SessionEndPageView.as_view(),
        name="session-end",
    ),
    path("account/passkeys/", passkey_views.PasskeyListPageView.as_view(), name="passkeys"),
    path("account/passkeys/verify/", passkey_views.PasskeyVerifyPageView.as_view(), name="passkey-verify"),
    path("account/passkeys/rename/", passkey_views.PasskeyRenamePageView.as_view(), name="passkey-rename"),
    path(
        "account/passkeys/<int:pk>/remove/",
        passkey_views.PasskeyDeletePageView.as_view(),
        name="passkey-remove",
    ),
]
