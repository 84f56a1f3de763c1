from django.shortcuts import render


def org_list(request):
    return render(request, "orgs/org_list.html", {"orgs": []})
