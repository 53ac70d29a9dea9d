"""The deals REST API: serializers, viewsets and their URLs (NetBox's per-app api/)."""
