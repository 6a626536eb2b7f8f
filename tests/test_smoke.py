def test_login_page_renders(anonymous):
    response = anonymous.get("/login")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.text
