from django.urls import path

from sightline.casework import views

urlpatterns = [
    path("casework/tasks/", views.your_tasks, name="your_tasks"),
    path("casework/overdue/", views.overdue_tasks, name="overdue_tasks"),
    path("casework/tasks/<uuid:case_task_id>/", views.case_task_detail, name="case_task_detail"),
    path("casework/meetings/<uuid:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("children/<uuid:child_id>/tasks/", views.child_tasks, name="child_tasks"),
    path("children/<uuid:child_id>/tasks/new/", views.case_task_new, name="case_task_new"),
    path("children/<uuid:child_id>/meetings/new/", views.meeting_new, name="meeting_new"),
]
