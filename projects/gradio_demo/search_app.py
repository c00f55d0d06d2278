"""A small web page for person search over a gallery index, in the style of
MMPretrain's ``projects/gradio_demo``: a query box (attribute names with
don't-care and negation, or free text) or an uploaded image of the person,
a camera filter, what the query was understood as, and the top-k crops,
whole, each with its score and the attributes the model sees in it.

    python tools/search.py index CONFIG CHECKPOINT IMAGES_DIR --index INDEX
    python projects/gradio_demo/search_app.py INDEX [--port 7860]
    # or: make serve INDEX=work_dirs/demo_ret/search_index

Gradio is an optional extra (``requirements/web.txt``).
"""
import argparse
from typing import List, Optional, Sequence, Tuple

from PIL import Image

Crops = List[Tuple[Image.Image, str]]


def understood_markdown(answer: dict) -> str:
    """What the searcher took from the query, as Markdown."""
    understood = answer['understood']
    lines = [
        f'**present:** {", ".join(understood["present"]) or "-"}',
        f'**absent:** {", ".join(understood["absent"]) or "-"}',
        '**unknown:** every other attribute',
    ]
    if answer.get('ignored'):
        lines.append(f'**not understood:** {", ".join(answer["ignored"])}')
    for word, g in (answer.get('guessed') or {}).items():
        lines.append(f'**"{word}"** read as {g["attribute"]} '
                     f'{"present" if g["value"] else "absent"} (like '
                     f'"{g["phrase"]}", cosine {g["cosine"]:.2f})')
    return '  \n'.join(lines)


def caption(rank: int, result: dict) -> str:
    """A result's caption: rank, score, camera and predicted attributes."""
    camera = (f' · camera {result["camera"]}'
              if result.get('camera', -1) >= 0 else '')
    seen = ', '.join(result.get('attributes') or []) or 'no attribute'
    return f'{rank}. {result["score"]:.3f}{camera} · {seen}'


def crops_of(answer: dict) -> Crops:
    """The ranked images, whole (no square crop), with their captions."""
    return [(Image.open(r['path']).convert('RGB'), caption(rank, r))
            for rank, r in enumerate(answer['results'], 1)]


def camera_filter(cameras: Optional[Sequence]) -> Optional[List[int]]:
    """The page's camera choice as the searcher takes it: None (every
    camera) when nothing is ticked; 'unknown' is camera -1."""
    if not cameras:
        return None
    return [-1 if str(c) == 'unknown' else int(c) for c in cameras]


def run_query(searcher,
              text: str,
              topk: int,
              cameras: Optional[Sequence] = None) -> Tuple[str, Crops]:
    """The page's answer to a text query: the understood attributes (or
    the error, which lists what is valid) and the ranked crops."""
    try:
        answer = searcher.search(
            text, int(topk), cameras=camera_filter(cameras))
    except (KeyError, ValueError) as e:
        return f'**Error:** {e.args[0] if e.args else e}', []
    return understood_markdown(answer), crops_of(answer)


def run_image_query(searcher,
                    image,
                    topk: int,
                    cameras: Optional[Sequence] = None) -> Tuple[str, Crops]:
    """The page's answer to an uploaded image (RGB array or PIL image):
    the gallery images nearest to it."""
    if image is None:
        return '**Error:** upload an image of the person first.', []
    if isinstance(image, Image.Image):
        image = image.convert('RGB')
    import numpy as np
    bgr = np.ascontiguousarray(np.asarray(image)[..., ::-1])  # as cv2 reads
    answer = searcher.search_image(
        bgr, int(topk), cameras=camera_filter(cameras))
    return ('**image query:** the nearest persons in the gallery',
            crops_of(answer))


def camera_choices(searcher) -> List[str]:
    cameras = searcher.cameras()
    return [str(c) if c >= 0 else 'unknown' for c in cameras]


def build_app(searcher, topk: int = 12):
    """The Gradio Blocks page over an open :class:`PersonSearcher`."""
    import gradio as gr

    with gr.Blocks(title='clear_mm person search') as app:
        gr.Markdown(
            f'# Person search\n{len(searcher)} images. Name attributes '
            '("Female, Backpack, -Hat"; the others are unknown, not '
            'absent), describe the person ("a woman in a long coat '
            'carrying a handbag") or upload an image of them.')
        with gr.Row():
            query = gr.Textbox(
                label='Query', elem_id='query', scale=4,
                placeholder='Female, Backpack, -Hat')
            k = gr.Slider(
                1, 50, value=topk, step=1, label='Top-k', elem_id='topk')
        with gr.Row():
            image = gr.Image(
                label='or an image of the person', type='pil',
                elem_id='image', height=256)
            cameras = gr.CheckboxGroup(
                camera_choices(searcher),
                label='Cameras (none ticked: all)',
                elem_id='cameras')
        with gr.Row():
            button = gr.Button('Search', variant='primary', elem_id='search')
            image_button = gr.Button('Search by image', elem_id='by-image')
        understood = gr.Markdown(elem_id='understood')
        gallery = gr.Gallery(
            label='Results', columns=6, height='auto', object_fit='contain',
            elem_id='results')
        for trigger in (button.click, query.submit):
            trigger(lambda text, n, cams: run_query(searcher, text, n, cams),
                    inputs=[query, k, cameras],
                    outputs=[understood, gallery])
        image_button.click(
            lambda img, n, cams: run_image_query(searcher, img, n, cams),
            inputs=[image, k, cameras],
            outputs=[understood, gallery])
    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('index', help='a folder made by tools/search.py '
                        'index')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--topk', type=int, default=12)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    from clear_mm.search import PersonSearcher
    searcher = PersonSearcher.open(args.index, device=args.device)
    build_app(searcher, args.topk).launch(
        server_name=args.host, server_port=args.port)


if __name__ == '__main__':
    main()
