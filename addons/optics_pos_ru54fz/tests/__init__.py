from . import common, test_fiscalize, test_heartbeat_route, test_pos_assets, test_pos_tour, test_session_shift  # noqa: F401
