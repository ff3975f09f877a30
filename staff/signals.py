"""Cached permission sets (staff.backends) go stale the moment access changes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from .backends import forget_permissions, forget_user


def _forget(**kwargs):
    forget_permissions()


def _forget_user(instance, update_fields=None, **kwargs):
    # Logging in writes the last login alone: nothing a request decides by, so the row stays cached.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    forget_user(instance.pk)


def connect():
    user = get_user_model()
    # The request's user is cached beside their permissions: a saved or deleted row is read afresh.
    post_save.connect(_forget_user, sender=user, dispatch_uid="forget-user-save")
    post_delete.connect(_forget_user, sender=user, dispatch_uid="forget-user-delete")
    for through in (user.groups.through, user.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_forget, sender=through, dispatch_uid=f"forget-perms-{through._meta.label}")
    for model in (Group, Permission):
        post_save.connect(_forget, sender=model, dispatch_uid=f"forget-perms-save-{model._meta.label}")
        post_delete.connect(_forget, sender=model, dispatch_uid=f"forget-perms-delete-{model._meta.label}")
    # Role groups are (re)written by data migrations through historical models.
    post_migrate.connect(_forget, dispatch_uid="forget-perms-migrate")
