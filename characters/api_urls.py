from rest_framework.routers import SimpleRouter

from characters.api import CharacterViewSet

router = SimpleRouter()
router.register("characters", CharacterViewSet, basename="api-character")
urlpatterns = router.urls
