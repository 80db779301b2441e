"""The expected-poll arithmetic of the "webhooks all dropped" figure, from the polling rule."""

from bench.polls import margin, poll_times, polls_until


def first(n, *args):
    times = poll_times(*args)
    return [next(times) for _ in range(n)]


def test_polls_double_from_min_and_stop_growing_at_max():
    assert first(5, 1, 4) == [1, 3, 7, 11, 15]
    assert first(4, 60, 21600) == [60, 180, 420, 900]


def test_the_first_poll_at_or_after_the_decision_sees_it():
    assert polls_until(0, 1, 4) == 1
    assert polls_until(1, 1, 4) == 1
    assert polls_until(5, 1, 4) == 3
    assert polls_until(7.5, 1, 4) == 4


def test_margin_is_the_distance_to_the_nearest_poll():
    assert margin(5, 1, 4) == 2
    assert margin(2.5, 1, 4) == 0.5
