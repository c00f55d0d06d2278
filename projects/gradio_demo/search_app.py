"""A small web page for person search over a gallery index, in the style of
MMPretrain's ``projects/gradio_demo``: a query box (attribute names with
don't-care and negation, or free text), what the query was understood as,
and a grid of the top-k crops with their scores.

    python tools/search.py index CONFIG CHECKPOINT IMAGES_DIR --index INDEX
    python projects/gradio_demo/search_app.py INDEX [--port 7860]
    # or: make serve INDEX=work_dirs/demo_ret/search_index

Gradio is an optional extra (``requirements/web.txt``).
"""
import argparse
from typing import List, Tuple

from PIL import Image


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


def run_query(searcher, text: str,
              topk: int) -> Tuple[str, List[Tuple[Image.Image, str]]]:
    """The page's answer: the understood attributes (or the error, which
    lists what is valid) and the ranked crops with their scores."""
    try:
        answer = searcher.search(text, int(topk))
    except (KeyError, ValueError) as e:
        return f'**Error:** {e.args[0] if e.args else e}', []
    crops = [(Image.open(r['path']).convert('RGB'),
              f'{rank}. {r["score"]:.3f}')
             for rank, r in enumerate(answer['results'], 1)]
    return understood_markdown(answer), crops


def build_app(searcher, topk: int = 12):
    """The Gradio Blocks page over an open :class:`PersonSearcher`."""
    import gradio as gr

    with gr.Blocks(title='clear_mm person search') as app:
        gr.Markdown(
            f'# Person search\n{len(searcher)} images. Name attributes '
            '("Female, Backpack, -Hat"; the others are unknown, not '
            'absent) or describe the person ("a woman in a long coat '
            'carrying a handbag").')
        with gr.Row():
            query = gr.Textbox(
                label='Query', elem_id='query', scale=4,
                placeholder='Female, Backpack, -Hat')
            k = gr.Slider(
                1, 50, value=topk, step=1, label='Top-k', elem_id='topk')
        button = gr.Button('Search', variant='primary', elem_id='search')
        understood = gr.Markdown(elem_id='understood')
        gallery = gr.Gallery(
            label='Results', columns=6, height='auto', elem_id='results')
        for trigger in (button.click, query.submit):
            trigger(lambda text, n: run_query(searcher, text, n),
                    inputs=[query, k], outputs=[understood, gallery])
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
