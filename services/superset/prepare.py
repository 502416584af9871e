"""Brings Superset's metadata database up to date, in one process (the three CLI calls
`superset db upgrade`, `superset init` and `superset fab create-admin` would each start
Superset anew): schema migrations, roles and permissions, and the admin account, whose
password is set from SUPERSET_ADMIN_PASSWORD on every start so it always matches .env.
"""

import os

from superset.app import create_app

app = create_app()
with app.app_context():
    from flask_migrate import upgrade
    from superset.extensions import appbuilder, security_manager

    upgrade()
    appbuilder.add_permissions(update_perms=True)
    security_manager.sync_role_definitions()

    password = os.environ["SUPERSET_ADMIN_PASSWORD"]
    user = security_manager.find_user(username="admin")
    if user is None:
        security_manager.add_user(
            "admin", "Lakehouse", "Admin", "admin@localhost",
            security_manager.find_role("Admin"), password=password,
        )  # fmt: skip
    else:
        security_manager.reset_password(user.id, password)
    print("superset metadata ready")
