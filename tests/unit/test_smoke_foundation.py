from app.accounts import service
from app.audit.service import verify_chain
from tests.factories import PASSWORD, make_user


def test_sign_in_records_audit_entry_and_chain_verifies(db):
    user = make_user("officer")
    signed_in = service.authenticate(user.username, PASSWORD, "127.0.0.1")
    assert signed_in.id == user.id
    result = verify_chain()
    assert result.ok and result.checked == 1


def test_login_page_renders_with_csrf_and_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sign_in_through_form(client):
    from tests.conftest import login

    user = make_user("officer")
    login(client, user)
    assert client.get("/").status_code == 200


def test_app_creates_a_missing_instance_folder(tmp_path):
    """Checked on the factory's step alone: a second app would rebind the shared socket server."""
    from types import SimpleNamespace

    from app import _ensure_instance_dir

    instance = tmp_path / "not" / "there"
    _ensure_instance_dir(SimpleNamespace(config={"INSTANCE_DIR": str(instance)}))
    assert instance.is_dir()
