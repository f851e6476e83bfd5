from __future__ import annotations

from backend.models import ApiToken
from tests import factories
from tests.factories import PASSWORD

URL = "/api/v1/auth/token/"


def test_a_verified_account_gets_a_token_that_authenticates_api_calls(api_client, entrepreneur):
    response = api_client.post(URL, {"email": "sara@example.se", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    key = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/topics/").status_code == 200
    assert api_client.get("/api/v1/regions/").wsgi_request.user == entrepreneur


def test_the_token_is_stored_only_as_a_digest(api_client, entrepreneur):
    key = api_client.post(URL, {"email": "sara@example.se", "password": PASSWORD}, format="json").json()[
        "token"
    ]

    token = ApiToken.objects.get(user=entrepreneur)
    assert token.digest == ApiToken.digest_of(key)
    assert key not in {token.digest, token.prefix}


def test_the_email_is_matched_without_regard_to_case(api_client, entrepreneur):
    response = api_client.post(URL, {"email": "Sara@Example.SE", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(api_client, entrepreneur):
    wrong = api_client.post(URL, {"email": "sara@example.se", "password": "nope"}, format="json")
    unknown = api_client.post(URL, {"email": "nobody@example.se", "password": "nope"}, format="json")

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert ApiToken.objects.count() == 0


def test_an_unverified_account_is_told_to_verify_and_gets_no_token(api_client, db):
    factories.UserFactory(email="new@example.se", verified=False)

    response = api_client.post(URL, {"email": "new@example.se", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert "bekräfta din e-postadress" in str(response.json()).lower()
    assert ApiToken.objects.count() == 0


def test_a_deactivated_account_gets_no_token(api_client, db):
    factories.UserFactory(email="gone@example.se", is_active=False)
    response = api_client.post(URL, {"email": "gone@example.se", "password": PASSWORD}, format="json")
    assert response.status_code == 400


def test_missing_fields_get_field_errors_in_swedish_by_default(api_client, db):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}
    assert response.json()["email"] == ["Det här fältet är obligatoriskt."]


def test_a_malformed_body_gets_a_400_not_a_500(api_client, db):
    response = api_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_an_unknown_token_is_refused(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Token 0000")
    assert api_client.get("/api/v1/topics/").status_code == 401


def test_old_tokens_are_pruned_beyond_the_limit(api_client, entrepreneur):
    for _ in range(ApiToken.MAX_PER_USER + 3):
        api_client.post(URL, {"email": "sara@example.se", "password": PASSWORD}, format="json")
    assert ApiToken.objects.filter(user=entrepreneur).count() == ApiToken.MAX_PER_USER
