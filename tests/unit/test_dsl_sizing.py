"""Hand-checked cases for batt_tasks.dsl.sizing."""

import pytest

from batt_tasks.dsl import sizing
from batt_tasks.dsl.sizing import (
    bottomhalf,
    canvas,
    compress,
    crop,
    downscale,
    hconcat,
    hcut,
    height,
    hsplit,
    hupscale,
    lefthalf,
    portrait,
    righthalf,
    shape,
    square,
    subgrid,
    tile,
    tophalf,
    trim,
    upscale,
    vconcat,
    vcut,
    vsplit,
    vupscale,
)

G3 = ((1, 2, 3), (4, 5, 6), (7, 8, 9))
R = ((1, 2, 3), (4, 5, 6))  # 2 x 3


def test_height() -> None:
    assert height(R) == 2
    assert height(frozenset({(1, 5), (4, 5)})) == 4
    assert height(frozenset()) == 0


def test_width() -> None:
    assert sizing.width(R) == 3
    assert sizing.width(frozenset({(7, (0, 2)), (7, (0, 3))})) == 2
    assert sizing.width(()) == 0


def test_shape() -> None:
    assert shape(R) == (2, 3)
    assert shape(frozenset({(1, 1), (2, 4)})) == (2, 4)
    assert shape(frozenset()) == (0, 0)


def test_portrait() -> None:
    assert portrait(((1,), (2,)))
    assert not portrait(R)


def test_square() -> None:
    assert square(G3) and not square(R)
    assert square(frozenset({(0, 0), (0, 1), (1, 0), (1, 1)}))
    assert not square(frozenset({(0, 0), (1, 1)}))  # square box, not filled


def test_canvas() -> None:
    assert canvas(5, (2, 3)) == ((5, 5, 5), (5, 5, 5))
    assert canvas(5, (0, 3)) == ()


def test_crop() -> None:
    assert crop(G3, (1, 1), (2, 2)) == ((5, 6), (8, 9))
    assert crop(G3, (0, 1), (1, 5)) == ((2, 3),)
    assert crop(G3, (-1, -1), (2, 2)) == ((1,),)
    assert crop(G3, (5, 5), (1, 1)) == ()


def test_subgrid() -> None:
    assert subgrid(frozenset({(0, 1), (1, 2)}), G3) == ((2, 3), (5, 6))
    assert subgrid(frozenset({(0, (2, 0))}), G3) == ((7,),)


def test_trim() -> None:
    assert trim(G3) == ((5,),)
    assert trim(R) == ()


def test_compress() -> None:
    grid = ((0, 0, 0, 0), (0, 1, 0, 2), (0, 0, 0, 0), (0, 3, 0, 3))
    # uniform rows 0, 2 and uniform columns 0, 2 go
    assert compress(grid) == ((1, 2), (3, 3))
    assert compress(((4, 4), (4, 4))) == ()


def test_upscale() -> None:
    assert upscale(((1, 2),), 2) == ((1, 1, 2, 2), (1, 1, 2, 2))
    obj = frozenset({(3, (1, 1)), (4, (1, 2))})
    assert upscale(obj, 2) == frozenset(
        {(3, (1, 1)), (3, (1, 2)), (3, (2, 1)), (3, (2, 2)), (4, (1, 3)), (4, (1, 4)), (4, (2, 3)), (4, (2, 4))}
    )
    assert upscale(frozenset({(5, 5)}), 2) == frozenset({(5, 5), (5, 6), (6, 5), (6, 6)})
    with pytest.raises(ValueError):
        upscale(R, 0)


def test_downscale() -> None:
    big = ((1, 1, 2, 2), (1, 1, 2, 2), (3, 3, 4, 4), (3, 3, 4, 4))
    assert downscale(big, 2) == ((1, 2), (3, 4))
    assert downscale(G3, 2) == ((1, 3), (7, 9))
    with pytest.raises(ValueError):
        downscale(G3, 0)


def test_hupscale() -> None:
    assert hupscale(((1, 2),), 3) == ((1, 1, 1, 2, 2, 2),)


def test_vupscale() -> None:
    assert vupscale(((1, 2), (3, 4)), 2) == ((1, 2), (1, 2), (3, 4), (3, 4))


def test_hconcat() -> None:
    assert hconcat(((1,), (2,)), ((3, 4), (5, 6))) == ((1, 3, 4), (2, 5, 6))
    with pytest.raises(ValueError):
        hconcat(((1,),), ((1,), (2,)))


def test_vconcat() -> None:
    assert vconcat(((1, 2),), ((3, 4),)) == ((1, 2), (3, 4))
    with pytest.raises(ValueError):
        vconcat(((1, 2),), ((3,),))


def test_tophalf() -> None:
    assert tophalf(G3) == ((1, 2, 3),)
    assert tophalf(((1,), (2,), (3,), (4,))) == ((1,), (2,))


def test_bottomhalf() -> None:
    assert bottomhalf(G3) == ((7, 8, 9),)
    assert bottomhalf(((1,), (2,), (3,), (4,))) == ((3,), (4,))


def test_lefthalf() -> None:
    assert lefthalf(G3) == ((1,), (4,), (7,))
    assert lefthalf(((1,),)) == ()


def test_righthalf() -> None:
    assert righthalf(G3) == ((3,), (6,), (9,))
    assert righthalf(((1, 2, 3, 4),)) == ((3, 4),)


def test_hsplit() -> None:
    assert hsplit(((1, 2, 3, 4),), 2) == (((1, 2),), ((3, 4),))
    # width 7 in 2 parts: 3 columns, divider column 3 skipped, 3 columns
    assert hsplit(((1, 1, 1, 5, 2, 2, 2),), 2) == (((1, 1, 1),), ((2, 2, 2),))
    with pytest.raises(ValueError):
        hsplit(((1,),), 2)


def test_vsplit() -> None:
    assert vsplit(((1,), (2,), (3,)), 3) == (((1,),), ((2,),), ((3,),))
    assert vsplit(((1,), (0,), (2,)), 2) == (((1,),), ((2,),))


def test_tile() -> None:
    assert tile(((1, 2),), (2, 2)) == ((1, 2, 1, 2), (1, 2, 1, 2))


def test_hcut() -> None:
    assert hcut(G3, 1) == (((1,), (4,), (7,)), ((2, 3), (5, 6), (8, 9)))


def test_vcut() -> None:
    assert vcut(G3, 2) == (((1, 2, 3), (4, 5, 6)), ((7, 8, 9),))


def test_every_public_function_has_a_test() -> None:
    missing = [name for name in sizing.__all__ if f"test_{name}" not in globals()]
    assert not missing
