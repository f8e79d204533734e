"""The hybrid logical clock never goes backwards, whatever the wall clock does."""

from kkt_adapter.hlc import HybridLogicalClock, Timestamp


class Wall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_it_follows_the_wall_clock_when_it_moves_forward() -> None:
    wall = Wall(1000)
    clock = HybridLogicalClock("a", wall)
    first = clock.now()
    wall.ms = 2000
    assert (first.wall_ms, clock.now().wall_ms) == (1000, 2000)


def test_a_wall_clock_set_back_still_gives_increasing_stamps() -> None:
    wall = Wall(5000)
    clock = HybridLogicalClock("a", wall)
    stamps = [clock.now()]
    for back in (4000, 1000, 1000, 5000):
        wall.ms = back
        stamps.append(clock.now())
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert [s.encode() for s in stamps] == sorted(s.encode() for s in stamps)


def test_a_clock_seeded_from_the_buffer_continues_after_a_restart() -> None:
    newest = Timestamp(9000, 3, "a")
    clock = HybridLogicalClock("a", Wall(100), Timestamp.decode(newest.encode()))
    assert clock.now() > newest


def test_the_text_form_sorts_like_the_stamps() -> None:
    assert Timestamp(999, 99999).encode() < Timestamp(1000, 0).encode()
