"""The library's actions: what they write, what they refuse, what they record and re-index."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tribu.core.models import Activity
from tribu.library import actions
from tribu.library.models import Category, Resource

from .conftest import make_category, make_group, make_resource, pdf_file

pytestmark = pytest.mark.django_db


def test_create_update_feature_delete_record_their_activity_and_reindex(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    indexed, removed = [], []
    monkeypatch.setattr(actions, "index_later", lambda obj: indexed.append(obj.pk))
    monkeypatch.setattr(actions, "remove_later", lambda obj: removed.append(obj.pk))
    resource = actions.create_resource(alice, kind="document", title="Guide", file=pdf_file())
    assert indexed == [resource.pk]
    actions.update_resource(alice, resource, title="Guide 2", published=False)
    assert removed == [resource.pk]
    actions.set_featured(alice, resource, True)
    actions.set_featured(alice, resource, True)  # already: nothing more recorded
    verbs = list(Activity.objects.filter(actor=alice).values_list("verb", flat=True).order_by("pk"))
    assert verbs == ["resource.created", "resource.updated", "resource.featured"]
    name = Resource.objects.get().file.name
    storage = Resource.objects.get().file.storage
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_resource(alice, resource)
    assert not Resource.objects.exists() and not storage.exists(name)
    assert Activity.objects.filter(verb="resource.deleted").exists()


def test_a_member_may_not_create_nor_edit(mia, alice):
    with pytest.raises(PermissionDenied):
        actions.create_resource(mia, kind="article", title="X", body="Y")
    resource = make_resource("Guide")
    with pytest.raises(PermissionDenied):
        actions.update_resource(mia, resource, title="Piraté")
    assert Resource.objects.get().title == "Guide"


def test_an_animator_may_not_add_to_an_archived_group(anna):
    archived = make_group("Ancien club", owner=anna, archived=True)
    with pytest.raises(PermissionDenied):
        actions.create_resource(anna, group=archived, kind="article", title="X", body="Y")


def test_a_failed_validation_writes_nothing_and_names_every_field(alice):
    with pytest.raises(ValidationError) as caught:
        actions.create_resource(alice, kind="video", title="  ", summary="x" * 500)
    assert {"title", "summary", "url"} <= set(caught.value.message_dict)
    assert not Resource.objects.exists()


def test_a_five_megabyte_description_is_refused(alice):
    with pytest.raises(ValidationError) as caught:
        actions.create_resource(alice, kind="article", title="Long", body="a" * 5_000_000)
    assert "body" in caught.value.message_dict


def test_a_category_of_another_library_is_refused(alice, anna):
    club = make_group("Club", owner=anna)
    with pytest.raises(ValidationError):
        actions.create_resource(alice, kind="article", title="X", body="Y", category=make_category("C", group=club))


def test_deleting_a_category_keeps_its_resources_and_drops_its_subcategories(alice):
    parent = make_category("Guides")
    child = make_category("Juridique", parent=parent)
    resource = make_resource("Statuts", category=child)
    actions.delete_category(alice, parent)
    resource.refresh_from_db()
    assert resource.category is None and not Category.objects.exists()


def test_categories_stay_two_levels_deep(alice):
    top = actions.create_category(alice, name_fr="Guides")
    sub = actions.create_category(alice, name_fr="Juridique", parent=top)
    with pytest.raises(ValidationError):
        actions.create_category(alice, name_fr="Trop profond", parent=sub)
    with pytest.raises(ValidationError):
        actions.update_category(alice, top, parent=sub)
    assert actions.create_category(alice, name_fr="Guides").slug != top.slug


def test_downloads_count_with_f_and_refuse_a_teaser(mia):
    from tribu.memberships.tests.conftest import make_tier

    resource = make_resource("Guide")
    actions.record_download(mia, resource)
    actions.record_download(mia, resource)
    assert Resource.objects.get(pk=resource.pk).download_count == 2
    gated = make_resource("Réservé", tiers=[make_tier("gold")])
    with pytest.raises(PermissionDenied):
        actions.record_download(mia, gated)


def test_the_management_pages_create_a_category_and_list_it(client, alice):
    client.force_login(alice)
    response = client.post("/library/manage/categories/new/", {"place": "community", "name_fr": "Formations",
                                                                "name_en": "Training", "position": "0"})
    assert response.status_code == 302
    category = Category.objects.get()
    assert "Formations" in client.get("/library/manage/").content.decode()
    edit = client.post(f"/library/manage/categories/{category.pk}/", {"name_fr": "Formations pro", "name_en": "",
                                                                     "position": "2"})
    assert edit.status_code == 302
    category.refresh_from_db()
    assert category.name_fr == "Formations pro" and category.position == 2


def test_members_may_not_open_the_management_pages(client, mia):
    client.force_login(mia)
    assert client.get("/library/manage/").status_code == 403
    assert client.get("/library/manage/new/").status_code == 403
    assert client.post("/library/manage/categories/new/", {"place": "community", "name_fr": "X",
                                                           "position": "0"}).status_code == 403
    assert not Category.objects.exists()
