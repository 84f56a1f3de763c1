app_name = "sync"

urlpatterns = []
