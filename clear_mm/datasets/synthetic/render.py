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


def render_pedestrian(attr: Dict[str, int],
                      rng: np.random.Generator,
                      appearance_rng: Optional[np.random.Generator] = None
                      ) -> Image.Image:
    """Draw one pedestrian with the given PA100K attributes.

    Args:
        attr (dict[str, int]): 0/1 value of each PA100K attribute name.
        rng (np.random.Generator): Source of every random choice.
        appearance_rng (np.random.Generator, optional): Source of the
            person's looks instead (skin, hair, clothing and bag colours):
            a generator seeded per identity gives every image of a person
            the same appearance. Defaults to ``rng``.

    Returns:
        PIL.Image.Image: An RGB image of 256x128 (H x W).
    """
    img = _background(rng)
    draw = ImageDraw.Draw(img)
    view = _view(attr)

    # Geometry: scale, position, pose.
    # Pedestrian crops are boxes around the person: the figure fills the
    # height whatever the age; children differ by their proportions.
    scale = rng.uniform(0.9, 0.97)
    ph = HEIGHT * scale  # person height in pixels
    cx = WIDTH / 2 + rng.uniform(-6, 6)
    top = rng.uniform(1, max(1.0, HEIGHT - ph * 1.01 - 1))
    y = lambda f: top + f * ph  # noqa: E731  (fraction of person height)
    head_r = ph * (0.095 if attr['AgeLess18'] else 0.07)
    half = ph * (0.085 if view == 'side' else 0.13)  # half torso width
    stoop = ph * 0.03 if attr['AgeOver60'] else 0.0

    looks = rng if appearance_rng is None else appearance_rng
    skin = tuple(int(v) for v in SKIN[looks.integers(len(SKIN))])
    upper = _color(looks)
    lower = _color(looks, avoid=upper)
    hair = GREY_HAIR if attr['AgeOver60'] else tuple(
        int(v) for v in HAIR[looks.integers(len(HAIR))])
    long_hair = attr['Female'] and looks.random() < 0.85
    if appearance_rng is None:
        def accent(key, avoid):  # drawn when needed, as always
            return _color(rng, avoid=avoid)
    else:
        # a person's accessories keep their colours in every image: all
        # drawn up front, whether or not this view shows them
        accents = {
            key: _color(looks, avoid=avoid)
            for key, avoid in (('splice', upper), ('logo', upper),
                               ('shoulder_bag', upper), ('hand_bag', lower),
                               ('object', upper), ('hat', hair))
        }

        def accent(key, avoid):
            return accents[key]

    head_cy = y(0.0) + head_r + stoop
    head_cx = cx + stoop
    shoulder, hip = y(0.17), y(0.5)
    foot = y(0.98)
    coat_end = y(0.76) if attr['LongCoat'] else hip + ph * 0.03

    # A backpack seen from the side sticks out behind the body; seen from the
    # back it covers the torso (drawn after it, below).
    pack = _color(looks)
    if attr['Backpack'] and view == 'side':
        bw = half * 0.8
        bx = cx - half - bw * 0.7
        draw.rounded_rectangle(
            [bx - bw, shoulder + ph * 0.02, bx + bw, y(0.42)],
            radius=4,
            fill=pack,
            outline=(10, 10, 10))

    # Legs and lower-body clothing.
    leg_w = half * (0.42 if view != 'side' else 0.6)
    spread = rng.uniform(0, ph * 0.06)
    legs = [cx - half * 0.45 - spread / 2, cx + half * 0.45 + spread / 2]
    if view == 'side':
        legs = [cx - spread / 2, cx + spread / 2]
    lower_end = {'Trousers': foot - ph * 0.03, 'Shorts': y(0.64),
                 'Skirt&Dress': hip}
    kind = next((k for k in ('Skirt&Dress', 'Shorts', 'Trousers')
                 if attr[k]), 'Trousers')
    for lx in legs:
        draw.rectangle([lx - leg_w / 2, hip, lx + leg_w / 2, foot], fill=skin)
        if kind != 'Skirt&Dress':
            draw.rectangle([lx - leg_w / 2, hip, lx + leg_w / 2,
                            lower_end[kind]], fill=lower)
    if kind == 'Skirt&Dress':
        flare = half * 1.5
        draw.polygon([(cx - half * 0.95, hip - 2), (cx + half * 0.95, hip - 2),
                      (cx + flare, y(0.7)), (cx - flare, y(0.7))],
                     fill=lower)
    if attr['LowerStripe'] or attr['LowerPattern']:
        mark = _contrast(lower)
        x0, x1 = cx - half * 1.1, cx + half * 1.1
        y1 = {'Trousers': foot - ph * 0.05, 'Shorts': y(0.62),
              'Skirt&Dress': y(0.68)}[kind]
        if attr['LowerStripe']:
            for xs in np.arange(x0 + 3, x1, 9):
                if (kind == 'Skirt&Dress' or any(
                        abs(xs - lx) < leg_w / 2 - 1 for lx in legs)):
                    draw.line([(xs, hip + 2), (xs, y1)], fill=mark, width=4)
        if attr['LowerPattern']:
            for yy in np.arange(hip + 4, y1, 9):
                for xx in np.arange(x0 + 2, x1, 8):
                    if (kind == 'Skirt&Dress' or any(
                            abs(xx - lx) < leg_w / 2 - 1 for lx in legs)):
                        draw.ellipse([xx - 2.5, yy - 2.5, xx + 2.5, yy + 2.5],
                                     fill=mark)
    # Footwear.
    for lx in legs:
        if attr['boots']:
            draw.rectangle([lx - leg_w / 2 - 2, y(0.78), lx + leg_w / 2 + 2,
                            foot + 2], fill=(45, 30, 20))
        else:
            draw.rectangle([lx - leg_w / 2, foot - 3, lx + leg_w / 2 + 2,
                            foot + 2], fill=(240, 240, 240)
                           if rng.random() < 0.5 else (60, 60, 60))

    # Arms (behind the torso edges), sleeves.
    arm_w = max(4.0, half * 0.35)
    arm_swing = rng.uniform(-ph * 0.04, ph * 0.04)
    arm_end = y(0.52)
    sleeve_end = y(0.3) if attr['ShortSleeve'] else arm_end - ph * 0.02
    arms = [cx - half - arm_w / 2, cx + half + arm_w / 2]
    if view == 'side':
        arms = [cx + arm_swing * 0.5]
    for ax in arms:
        draw.line([(ax, shoulder + 3), (ax + arm_swing, arm_end)],
                  fill=skin, width=int(arm_w))
        frac = (sleeve_end - shoulder) / (arm_end - shoulder)
        draw.line([(ax, shoulder + 3),
                   (ax + arm_swing * frac, sleeve_end)],
                  fill=upper, width=int(arm_w) + 1)

    # Torso and upper-body motif.
    box = [cx - half, shoulder, cx + half, coat_end]
    draw.rounded_rectangle(box, radius=5, fill=upper)
    if attr['UpperSplice']:
        second = accent('splice', upper)
        draw.rectangle([cx - half, (shoulder + coat_end) / 2, cx + half,
                        coat_end], fill=second)
    mark = _contrast(upper)
    if attr['UpperStride']:
        for ys in np.arange(shoulder + 5, coat_end - 2, 10):
            draw.line([(cx - half, ys), (cx + half, ys)], fill=mark, width=4)
    if attr['UpperPlaid']:
        for ys in np.arange(shoulder + 4, coat_end - 2, 10):
            draw.line([(cx - half, ys), (cx + half, ys)], fill=mark, width=2)
        for xs in np.arange(cx - half + 4, cx + half, 10):
            draw.line([(xs, shoulder), (xs, coat_end)], fill=mark, width=2)
    if attr['UpperLogo'] and view != 'back':
        lx = cx + (half * 0.1 if view == 'side' else 0)
        ly = shoulder + ph * 0.1
        s = ph * 0.06
        draw.ellipse([lx - s, ly - s, lx + s, ly + s],
                     fill=accent('logo', upper), outline=mark)

    # Bags in front of the body.
    if attr['Backpack'] and view == 'back':
        draw.rounded_rectangle(
            [cx - half * 0.8, shoulder + ph * 0.03, cx + half * 0.8, y(0.43)],
            radius=4,
            fill=pack,
            outline=(10, 10, 10))
    if attr['Backpack'] and view == 'front':
        strap = (25, 25, 25)
        for sx in (cx - half * 0.6, cx + half * 0.6):
            draw.line([(sx, shoulder), (sx, y(0.4))], fill=strap, width=4)
    if attr['ShoulderBag']:
        side = 1 if rng.random() < 0.5 else -1
        bag = accent('shoulder_bag', upper)
        draw.line([(cx - side * half * 0.8, shoulder + 2),
                   (cx + side * half * 1.1, hip - ph * 0.04)],
                  fill=(30, 30, 30), width=3)
        bx = cx + side * half * 1.15
        draw.rectangle([bx - ph * 0.06, hip - ph * 0.07, bx + ph * 0.06,
                        hip + ph * 0.05], fill=bag, outline=(10, 10, 10))
    if attr['HandBag']:
        hx = (arms[-1] if view != 'side' else arms[0]) + arm_swing
        bag = accent('hand_bag', lower)
        draw.line([(hx, arm_end), (hx, arm_end + ph * 0.03)],
                  fill=(30, 30, 30), width=2)
        draw.rectangle([hx - ph * 0.05, arm_end + ph * 0.03, hx + ph * 0.05,
                        arm_end + ph * 0.12], fill=bag, outline=(10, 10, 10))
    if attr['HoldObjectsInFront'] and view != 'back':
        obj = accent('object', upper)
        oy = y(0.33)
        ox = cx + (half * 0.9 if view == 'side' else 0)
        draw.rectangle([ox - ph * 0.08, oy, ox + ph * 0.08, oy + ph * 0.1],
                       fill=obj, outline=(10, 10, 10))

    # Head, hair, face, hat, glasses.
    hx0, hy0 = head_cx - head_r, head_cy - head_r
    hx1, hy1 = head_cx + head_r, head_cy + head_r
    if long_hair:  # hair falling to the shoulders, behind the head
        draw.rectangle([hx0 - 1, head_cy, hx1 + 1, shoulder + ph * 0.06],
                       fill=hair)
    draw.ellipse([hx0, hy0, hx1, hy1], fill=skin)
    if view == 'back':
        draw.ellipse([hx0, hy0, hx1, hy1], fill=hair)
    else:
        draw.chord([hx0, hy0, hx1, hy1], 180, 360, fill=hair)
        eye_y = head_cy + head_r * 0.1
        eyes = ([head_cx - head_r * 0.4, head_cx + head_r * 0.4]
                if view == 'front' else [head_cx + head_r * 0.45])
        for ex in eyes:
            draw.ellipse([ex - 1.5, eye_y - 1.5, ex + 1.5, eye_y + 1.5],
                         fill=(20, 20, 20))
        if attr['Glasses']:
            x0 = min(eyes) - head_r * 0.35
            x1 = max(eyes) + head_r * 0.35
            draw.rectangle([x0, eye_y - 3.5, x1, eye_y + 3.5],
                           fill=(10, 10, 10))
    if attr['Hat']:
        hat = accent('hat', hair)
        draw.rectangle([hx0 - 3, hy0 + head_r * 0.35, hx1 + 3,
                        hy0 + head_r * 0.6], fill=hat)
        draw.rectangle([hx0 + 1, hy0 - head_r * 0.6, hx1 - 1,
                        hy0 + head_r * 0.4], fill=hat)

    return _photometric(img, rng)


def _photometric(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Occlusion, blur, illumination and sensor noise."""
    if rng.random() < 0.1:
        draw = ImageDraw.Draw(img)
        w, h = rng.integers(15, 50), rng.integers(15, 60)
        x0 = rng.integers(-w // 2, WIDTH - w // 2)
        y0 = rng.integers(HEIGHT // 3, HEIGHT - h // 2)
        draw.rectangle([x0, y0, x0 + w, y0 + h],
                       fill=tuple(int(v) for v in rng.integers(30, 220, 3)))
    if rng.random() < 0.25:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    arr = np.asarray(img, dtype=np.float32)
    gain = rng.uniform(0.7, 1.25) * rng.uniform(0.92, 1.08, size=3)
    arr = arr * gain + rng.uniform(-15, 15)
    arr += rng.normal(0, rng.uniform(0, 5), size=arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
