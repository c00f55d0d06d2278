"""Drawing of synthetic pedestrians whose attributes are visible.

One figure per image, drawn with PIL at 256x128 (H x W). Every PA100K
attribute changes something a model can see at the scale it has in real
crops (a hat is a few pixels tall, glasses are a dark bar across the eyes);
the rest of the image varies with attributes it does not depend on: clutter,
pose, scale, position, illumination, blur, occlusion and noise.
"""
from typing import Dict, Optional

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HEIGHT, WIDTH = 256, 128

PALETTE = np.array([
    (20, 20, 20), (235, 235, 235), (200, 30, 30), (30, 60, 190),
    (40, 150, 60), (230, 200, 40), (120, 70, 30), (130, 130, 130),
    (150, 50, 160), (240, 130, 30), (240, 150, 190), (20, 150, 160)
])
SKIN = np.array([(250, 215, 180), (225, 180, 140), (180, 130, 90),
                 (120, 80, 50)])
HAIR = np.array([(25, 20, 15), (80, 50, 25), (150, 110, 60), (60, 40, 30)])
GREY_HAIR = (205, 205, 205)


def _color(rng: np.random.Generator, avoid=None) -> tuple:
    while True:
        c = tuple(int(v) for v in PALETTE[rng.integers(len(PALETTE))])
        if avoid is None or np.abs(np.subtract(c, avoid)).sum() > 120:
            return c


def _contrast(color: tuple) -> tuple:
    return (20, 20, 20) if sum(color) > 380 else (245, 245, 245)


def _background(rng: np.random.Generator) -> Image.Image:
    top, bottom = rng.integers(40, 220, size=(2, 3))
    ramp = np.linspace(0, 1, HEIGHT)[:, None, None]
    bg = (top * (1 - ramp) + bottom * ramp).repeat(WIDTH, axis=1)
    img = Image.fromarray(bg.astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(2, 7)):  # clutter: walls, cars, poles
        x0, y0 = rng.integers(-20, WIDTH), rng.integers(-20, HEIGHT)
        w, h = rng.integers(8, 70), rng.integers(8, 120)
        fill = tuple(int(v) for v in rng.integers(30, 230, size=3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=fill)
        else:
            draw.ellipse([x0, y0, x0 + w, y0 + h], fill=fill)
    return img


def _view(attr: Dict[str, int]) -> str:
    if attr['Side']:
        return 'side'
    return 'back' if attr['Back'] else 'front'


class _Figure:
    """One pedestrian being drawn: its attributes, the random sources, the
    geometry and colours every body part shares (set up in the order the
    random draws have always been made, so images are unchanged)."""

    def __init__(self, attr: Dict[str, int], draw: ImageDraw.ImageDraw,
                 rng: np.random.Generator,
                 appearance_rng: Optional[np.random.Generator]):
        self.attr, self.draw, self.rng = attr, draw, rng
        self.view = view = _view(attr)
        # Geometry: scale, position, pose. Pedestrian crops are boxes
        # around the person: the figure fills the height whatever the age;
        # children differ by their proportions.
        scale = rng.uniform(0.9, 0.97)
        self.ph = ph = HEIGHT * scale  # person height in pixels
        self.cx = WIDTH / 2 + rng.uniform(-6, 6)
        self.top = rng.uniform(1, max(1.0, HEIGHT - ph * 1.01 - 1))
        self.head_r = ph * (0.095 if attr['AgeLess18'] else 0.07)
        self.half = ph * (0.085 if view == 'side' else 0.13)  # half torso
        stoop = ph * 0.03 if attr['AgeOver60'] else 0.0

        looks = rng if appearance_rng is None else appearance_rng
        self.skin = tuple(int(v) for v in SKIN[looks.integers(len(SKIN))])
        self.upper = _color(looks)
        self.lower = _color(looks, avoid=self.upper)
        self.hair = GREY_HAIR if attr['AgeOver60'] else tuple(
            int(v) for v in HAIR[looks.integers(len(HAIR))])
        self.long_hair = attr['Female'] and looks.random() < 0.85
        self._accents = None
        if appearance_rng is not None:
            # a person's accessories keep their colours in every image: all
            # drawn up front, whether or not this view shows them
            self._accents = {
                key: _color(looks, avoid=avoid)
                for key, avoid in (('splice', self.upper),
                                   ('logo', self.upper),
                                   ('shoulder_bag', self.upper),
                                   ('hand_bag', self.lower),
                                   ('object', self.upper),
                                   ('hat', self.hair))
            }
        self.head_cy = self.y(0.0) + self.head_r + stoop
        self.head_cx = self.cx + stoop
        self.shoulder, self.hip = self.y(0.17), self.y(0.5)
        self.foot = self.y(0.98)
        self.coat_end = self.y(0.76) if attr['LongCoat'] else \
            self.hip + ph * 0.03
        self.pack = _color(looks)

    def y(self, fraction: float) -> float:
        """Image row at a fraction of the person's height."""
        return self.top + fraction * self.ph

    def accent(self, key: str, avoid: tuple) -> tuple:
        """An accessory's colour: drawn when needed, or the person's own."""
        if self._accents is None:
            return _color(self.rng, avoid=avoid)
        return self._accents[key]


def _draw_side_backpack(f: _Figure) -> None:
    """Seen from the side a backpack sticks out behind the body (seen from
    the back it covers the torso: :func:`_draw_bags`)."""
    if f.attr['Backpack'] and f.view == 'side':
        bw = f.half * 0.8
        bx = f.cx - f.half - bw * 0.7
        f.draw.rounded_rectangle(
            [bx - bw, f.shoulder + f.ph * 0.02, bx + bw, f.y(0.42)],
            radius=4,
            fill=f.pack,
            outline=(10, 10, 10))


def _draw_legs(f: _Figure) -> None:
    """Legs, lower-body clothing and its stripes or pattern."""
    attr, draw, cx, half, ph = f.attr, f.draw, f.cx, f.half, f.ph
    f.leg_w = leg_w = half * (0.42 if f.view != 'side' else 0.6)
    spread = f.rng.uniform(0, ph * 0.06)
    legs = [cx - half * 0.45 - spread / 2, cx + half * 0.45 + spread / 2]
    if f.view == 'side':
        legs = [cx - spread / 2, cx + spread / 2]
    f.legs = legs
    hip, foot = f.hip, f.foot
    lower_end = {'Trousers': foot - ph * 0.03, 'Shorts': f.y(0.64),
                 'Skirt&Dress': hip}
    kind = next((k for k in ('Skirt&Dress', 'Shorts', 'Trousers')
                 if attr[k]), 'Trousers')
    for lx in legs:
        draw.rectangle([lx - leg_w / 2, hip, lx + leg_w / 2, foot],
                       fill=f.skin)
        if kind != 'Skirt&Dress':
            draw.rectangle([lx - leg_w / 2, hip, lx + leg_w / 2,
                            lower_end[kind]], fill=f.lower)
    if kind == 'Skirt&Dress':
        flare = half * 1.5
        draw.polygon([(cx - half * 0.95, hip - 2), (cx + half * 0.95, hip - 2),
                      (cx + flare, f.y(0.7)), (cx - flare, f.y(0.7))],
                     fill=f.lower)
    if not (attr['LowerStripe'] or attr['LowerPattern']):
        return
    mark = _contrast(f.lower)
    x0, x1 = cx - half * 1.1, cx + half * 1.1
    y1 = {'Trousers': foot - ph * 0.05, 'Shorts': f.y(0.62),
          'Skirt&Dress': f.y(0.68)}[kind]

    def on_clothing(x):
        return kind == 'Skirt&Dress' or any(
            abs(x - lx) < leg_w / 2 - 1 for lx in legs)

    if attr['LowerStripe']:
        for xs in np.arange(x0 + 3, x1, 9):
            if on_clothing(xs):
                draw.line([(xs, hip + 2), (xs, y1)], fill=mark, width=4)
    if attr['LowerPattern']:
        for yy in np.arange(hip + 4, y1, 9):
            for xx in np.arange(x0 + 2, x1, 8):
                if on_clothing(xx):
                    draw.ellipse([xx - 2.5, yy - 2.5, xx + 2.5, yy + 2.5],
                                 fill=mark)


def _draw_footwear(f: _Figure) -> None:
    """Boots, or light or dark shoes."""
    for lx in f.legs:
        if f.attr['boots']:
            f.draw.rectangle([lx - f.leg_w / 2 - 2, f.y(0.78),
                              lx + f.leg_w / 2 + 2, f.foot + 2],
                             fill=(45, 30, 20))
        else:
            f.draw.rectangle([lx - f.leg_w / 2, f.foot - 3,
                              lx + f.leg_w / 2 + 2, f.foot + 2],
                             fill=(240, 240, 240)
                             if f.rng.random() < 0.5 else (60, 60, 60))


def _draw_arms(f: _Figure) -> None:
    """Arms (behind the torso edges) and sleeves."""
    ph, shoulder = f.ph, f.shoulder
    arm_w = max(4.0, f.half * 0.35)
    f.arm_swing = swing = f.rng.uniform(-ph * 0.04, ph * 0.04)
    f.arm_end = arm_end = f.y(0.52)
    sleeve_end = f.y(0.3) if f.attr['ShortSleeve'] else arm_end - ph * 0.02
    f.arms = [f.cx - f.half - arm_w / 2, f.cx + f.half + arm_w / 2]
    if f.view == 'side':
        f.arms = [f.cx + swing * 0.5]
    for ax in f.arms:
        f.draw.line([(ax, shoulder + 3), (ax + swing, arm_end)],
                    fill=f.skin, width=int(arm_w))
        frac = (sleeve_end - shoulder) / (arm_end - shoulder)
        f.draw.line([(ax, shoulder + 3), (ax + swing * frac, sleeve_end)],
                    fill=f.upper, width=int(arm_w) + 1)


def _draw_torso(f: _Figure) -> None:
    """Torso (a long coat reaches the knees) and the upper-body motifs."""
    attr, draw, cx, half = f.attr, f.draw, f.cx, f.half
    shoulder, coat_end = f.shoulder, f.coat_end
    draw.rounded_rectangle([cx - half, shoulder, cx + half, coat_end],
                           radius=5, fill=f.upper)
    if attr['UpperSplice']:
        second = f.accent('splice', f.upper)
        draw.rectangle([cx - half, (shoulder + coat_end) / 2, cx + half,
                        coat_end], fill=second)
    mark = _contrast(f.upper)
    if attr['UpperStride']:
        for ys in np.arange(shoulder + 5, coat_end - 2, 10):
            draw.line([(cx - half, ys), (cx + half, ys)], fill=mark, width=4)
    if attr['UpperPlaid']:
        for ys in np.arange(shoulder + 4, coat_end - 2, 10):
            draw.line([(cx - half, ys), (cx + half, ys)], fill=mark, width=2)
        for xs in np.arange(cx - half + 4, cx + half, 10):
            draw.line([(xs, shoulder), (xs, coat_end)], fill=mark, width=2)
    if attr['UpperLogo'] and f.view != 'back':
        lx = cx + (half * 0.1 if f.view == 'side' else 0)
        ly = shoulder + f.ph * 0.1
        s = f.ph * 0.06
        draw.ellipse([lx - s, ly - s, lx + s, ly + s],
                     fill=f.accent('logo', f.upper), outline=mark)


def _draw_bags(f: _Figure) -> None:
    """Backpack (back view; its straps from the front), shoulder bag,
    handbag and objects held in front."""
    attr, draw, cx, half, ph = f.attr, f.draw, f.cx, f.half, f.ph
    shoulder, hip, view = f.shoulder, f.hip, f.view
    if attr['Backpack'] and view == 'back':
        draw.rounded_rectangle(
            [cx - half * 0.8, shoulder + ph * 0.03, cx + half * 0.8,
             f.y(0.43)],
            radius=4,
            fill=f.pack,
            outline=(10, 10, 10))
    if attr['Backpack'] and view == 'front':
        strap = (25, 25, 25)
        for sx in (cx - half * 0.6, cx + half * 0.6):
            draw.line([(sx, shoulder), (sx, f.y(0.4))], fill=strap, width=4)
    if attr['ShoulderBag']:
        side = 1 if f.rng.random() < 0.5 else -1
        bag = f.accent('shoulder_bag', f.upper)
        draw.line([(cx - side * half * 0.8, shoulder + 2),
                   (cx + side * half * 1.1, hip - ph * 0.04)],
                  fill=(30, 30, 30), width=3)
        bx = cx + side * half * 1.15
        draw.rectangle([bx - ph * 0.06, hip - ph * 0.07, bx + ph * 0.06,
                        hip + ph * 0.05], fill=bag, outline=(10, 10, 10))
    if attr['HandBag']:
        hx = (f.arms[-1] if view != 'side' else f.arms[0]) + f.arm_swing
        bag = f.accent('hand_bag', f.lower)
        arm_end = f.arm_end
        draw.line([(hx, arm_end), (hx, arm_end + ph * 0.03)],
                  fill=(30, 30, 30), width=2)
        draw.rectangle([hx - ph * 0.05, arm_end + ph * 0.03, hx + ph * 0.05,
                        arm_end + ph * 0.12], fill=bag, outline=(10, 10, 10))
    if attr['HoldObjectsInFront'] and view != 'back':
        obj = f.accent('object', f.upper)
        oy = f.y(0.33)
        ox = cx + (half * 0.9 if view == 'side' else 0)
        draw.rectangle([ox - ph * 0.08, oy, ox + ph * 0.08, oy + ph * 0.1],
                       fill=obj, outline=(10, 10, 10))


def _draw_head(f: _Figure) -> None:
    """Head, hair, face, glasses and hat."""
    draw, head_r, hair = f.draw, f.head_r, f.hair
    head_cx, head_cy = f.head_cx, f.head_cy
    hx0, hy0 = head_cx - head_r, head_cy - head_r
    hx1, hy1 = head_cx + head_r, head_cy + head_r
    if f.long_hair:  # hair falling to the shoulders, behind the head
        draw.rectangle([hx0 - 1, head_cy, hx1 + 1, f.shoulder + f.ph * 0.06],
                       fill=hair)
    draw.ellipse([hx0, hy0, hx1, hy1], fill=f.skin)
    if f.view == 'back':
        draw.ellipse([hx0, hy0, hx1, hy1], fill=hair)
    else:
        draw.chord([hx0, hy0, hx1, hy1], 180, 360, fill=hair)
        eye_y = head_cy + head_r * 0.1
        eyes = ([head_cx - head_r * 0.4, head_cx + head_r * 0.4]
                if f.view == 'front' else [head_cx + head_r * 0.45])
        for ex in eyes:
            draw.ellipse([ex - 1.5, eye_y - 1.5, ex + 1.5, eye_y + 1.5],
                         fill=(20, 20, 20))
        if f.attr['Glasses']:
            x0 = min(eyes) - head_r * 0.35
            x1 = max(eyes) + head_r * 0.35
            draw.rectangle([x0, eye_y - 3.5, x1, eye_y + 3.5],
                           fill=(10, 10, 10))
    if f.attr['Hat']:
        hat = f.accent('hat', hair)
        draw.rectangle([hx0 - 3, hy0 + head_r * 0.35, hx1 + 3,
                        hy0 + head_r * 0.6], fill=hat)
        draw.rectangle([hx0 + 1, hy0 - head_r * 0.6, hx1 - 1,
                        hy0 + head_r * 0.4], fill=hat)


def render_pedestrian(attr: Dict[str, int],
                      rng: np.random.Generator,
                      appearance_rng: Optional[np.random.Generator] = None,
                      nuisance: float = 1.0) -> Image.Image:
    """Draw one pedestrian with the given PA100K attributes: background,
    then the body parts back to front, then photometric changes.

    Args:
        attr (dict[str, int]): 0/1 value of each PA100K attribute name.
        rng (np.random.Generator): Source of every random choice.
        appearance_rng (np.random.Generator, optional): Source of the
            person's looks instead (skin, hair, clothing and bag colours):
            a generator seeded per identity gives every image of a person
            the same appearance. Defaults to ``rng``.
        nuisance (float): Strength of the photometric nuisances
            (:func:`_photometric`); 1 is the demo's. Defaults to 1.

    Returns:
        PIL.Image.Image: An RGB image of 256x128 (H x W).
    """
    img = _background(rng)
    figure = _Figure(attr, ImageDraw.Draw(img), rng, appearance_rng)
    for part in (_draw_side_backpack, _draw_legs, _draw_footwear,
                 _draw_arms, _draw_torso, _draw_bags, _draw_head):
        part(figure)
    return _photometric(img, rng, nuisance)


def _photometric(img: Image.Image,
                 rng: np.random.Generator,
                 nuisance: float = 1.0) -> Image.Image:
    """Occlusion, blur, illumination and sensor noise, scaled by
    ``nuisance`` (1: the demo's; 2: occluders twice as frequent and
    larger, stronger blur, darker/brighter light, 2x noise; and so on).
    The random draws are the same for every strength, so ``nuisance=1``
    gives exactly the demo's images."""
    n = float(nuisance)
    if rng.random() < min(0.1 * n, 0.9):
        draw = ImageDraw.Draw(img)
        w, h = rng.integers(15, 50), rng.integers(15, 60)
        w, h = int(w * n**0.5), int(h * n**0.5)
        x0 = rng.integers(-w // 2, WIDTH - w // 2)
        y0 = rng.integers(HEIGHT // 3, HEIGHT - h // 2)
        draw.rectangle([x0, y0, x0 + w, y0 + h],
                       fill=tuple(int(v) for v in rng.integers(30, 220, 3)))
    if rng.random() < min(0.25 * n, 0.9):
        img = img.filter(
            ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9) * n))
    arr = np.asarray(img, dtype=np.float32)
    gain = (1 + (rng.uniform(0.7, 1.25) - 1) * n) * (
        1 + (rng.uniform(0.92, 1.08, size=3) - 1) * n)
    arr = arr * np.maximum(gain, 0.1) + rng.uniform(-15, 15) * n
    arr += rng.normal(0, rng.uniform(0, 5) * n, size=arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
