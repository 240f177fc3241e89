"""Accounts and roles: the administrator's pages."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from portal.staff import accounts, passwords
from portal.admin.access import bp, current_staff, requires
from portal.staff.models import Role


def _roles_from_form() -> list[Role]:
    values = request.form.getlist("roles")
    return [Role(value) for value in values if value in {role.value for role in Role}]


@bp.get("/users")
@requires(Role.ADMINISTRATOR)
def users():
    return render_template("admin/users.html", users=accounts.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Role.ADMINISTRATOR)
def new_user():
    if request.method == "GET":
        return render_template("admin/user_new.html", form={}, roles=list(Role))
    form = request.form
    try:
        user = accounts.create_user(form.get("username", ""), form.get("display_name", ""),
                                    form.get("password", ""), _roles_from_form(), actor=current_staff())
    except (accounts.AccountError, passwords.PasswordRefused) as exc:
        return render_template("admin/user_new.html", form=form, roles=list(Role), message=str(exc)), 400
    flash(f"已创建账号 {user.username}。请把初始密码当面或通过安全渠道交给本人；首次登录须修改密码并启用两步验证。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Role.ADMINISTRATOR)
def edit_user(user_id: int):
    user = accounts.get_user(user_id) or abort(404)
    if request.method == "POST":
        try:
            accounts.set_roles(user, _roles_from_form(), current_staff())
            accounts.set_active(user, request.form.get("active") == "on", current_staff())
        except accounts.AccountError as exc:
            return render_template("admin/user_edit.html", user=user, roles=list(Role), message=str(exc)), 400
        flash("账号已更新。", "success")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_edit.html", user=user, roles=list(Role))


@bp.post("/users/<int:user_id>/reset-2fa")
@requires(Role.ADMINISTRATOR)
def reset_two_factor(user_id: int):
    user = accounts.get_user(user_id) or abort(404)
    accounts.reset_totp(user, current_staff())
    flash(f"已重置 {user.username} 的两步验证；其下次登录时须重新绑定验证器。", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))
