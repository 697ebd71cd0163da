from ninja import NinjaAPI

api = NinjaAPI(title="Tribu API", version="1", urls_namespace="api_v1", docs_url="/docs")


@api.get("/community")
def community(request):  # type: ignore[no-untyped-def]
    from tribu.core.community import get_community

    c = get_community()
    return {"name": c.name, "tagline": c.tagline}
