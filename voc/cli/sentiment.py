"""CLI commands for the sentiment stage: `voc train sentiment` and `voc eval sentiment`."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from voc.cli.app import ConfigOpt, console, eval_app, load, train_app
from voc.errors import ModelError


class SstLoss(StrEnum):
    three_class = "three-class"
    binary = "binary"


class SoupRecipe(StrEnum):
    greedy = "greedy"
    uniform = "uniform"


class Weights(StrEnum):
    fp16 = "fp16"
    int8 = "int8"


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")


@train_app.command("sentiment")
def train_sentiment_cmd(
    config: ConfigOpt = None,
    from_ratings: Annotated[
        bool,
        typer.Option("--from-ratings", help="adapt the active model to the store's rated reviews/surveys"),
    ] = False,
    data_dir: Annotated[Path, typer.Option(help="labelled datasets (airline tweets, SST-2)")] = Path(
        "../shared/data"
    ),
    out: Annotated[Path, typer.Option(help="where the trained model is written")] = Path("models/sentiment"),
    epochs: Annotated[int, typer.Option(help="training epochs")] = 3,
    split: Annotated[int, typer.Option(help="frozen lower layers (the rest are fine-tuned)")] = 3,
    sst_max: Annotated[int, typer.Option(help="SST-2 training phrases sampled")] = 25000,
    sst_min_words: Annotated[int, typer.Option(help="shortest SST-2 phrase used, in words")] = 4,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    val_fold: Annotated[
        int,
        typer.Option(
            min=0,
            max=9,
            help="which tenth of airline train is held out for validation (0: the usual one); runs on "
            "different folds can be averaged with --soup --soup-recipe uniform to learn from all of it",
        ),
    ] = 0,
    cache_dir: Annotated[
        Path | None, typer.Option(help="cache of frozen-layer states (reused across runs)")
    ] = None,
    holdout: Annotated[float, typer.Option(help="--from-ratings: share of rated items held out")] = 0.2,
    sst_weight: Annotated[float, typer.Option(help="loss weight of SST-2 rows")] = 1.0,
    class_weight_power: Annotated[
        float, typer.Option(help="airline class weights = frequency^-power")
    ] = 0.25,
    sst_loss: Annotated[
        SstLoss,
        typer.Option(
            help="three-class: SST-2 rows are negative/positive targets; binary: they train only "
            "negative-vs-positive and leave the neutral logit to the airline rows"
        ),
    ] = SstLoss.three_class,
    add_member: Annotated[
        bool, typer.Option("--add-member", help="add the new model to the one in --out as an ensemble member")
    ] = False,
    threads: Annotated[
        int, typer.Option(help="torch threads (1 is faster when other jobs load the CPU)")
    ] = 2,
    weights: Annotated[
        Weights,
        typer.Option(
            help="how the trained layers are stored: fp16, or int8 (half the size; two members fit 20 MB)"
        ),
    ] = Weights.fp16,
    teacher: Annotated[
        Path | None,
        typer.Option(
            help="distil: a trained model folder (e.g. a two-member ensemble) whose probabilities are also "
            "training targets, so one member learns what the ensemble agrees on"
        ),
    ] = None,
    teacher_weight: Annotated[
        float, typer.Option(help="with --teacher: share of the loss on the teacher's probabilities")
    ] = 0.5,
    soup: Annotated[
        list[Path] | None,
        typer.Option(
            "--soup",
            help="instead of training: average these trained runs' weights (repeat the option) into --out, "
            "a model soup at one model's size and speed (see --soup-recipe)",
        ),
    ] = None,
    soup_recipe: Annotated[
        SoupRecipe,
        typer.Option(
            help="with --soup: greedy keeps a run only if it helps on validation; uniform averages them all"
        ),
    ] = SoupRecipe.greedy,
) -> None:
    """Train the default sentiment model (offline; ~30-60 min on 2 cores), or adapt it with --from-ratings."""
    _logging()
    if from_ratings:
        import torch

        from voc.store import open_store
        from voc.train.ratings import adapt_from_ratings

        torch.set_num_threads(threads)
        cfg = load(config)
        with open_store(cfg) as store:
            res = adapt_from_ratings(store, cfg, holdout=holdout, epochs=epochs, seed=seed)
        console.print(f"rated items: {res.n_train} train, {res.n_holdout} hold-out")
        console.print(f"before: accuracy {res.before['accuracy']:.3f}  macro-F1 {res.before['macro_f1']:.3f}")
        console.print(f"after:  accuracy {res.after['accuracy']:.3f}  macro-F1 {res.after['macro_f1']:.3f}")
        if res.replaced:
            console.print(f"[green]the adapted model is better and is now active:[/] {res.model_dir}")
            console.print(f"(named in {res.model_dir.parent / 'ACTIVE'}; delete that file to go back)")  # type: ignore[union-attr]
        else:
            console.print(
                "[yellow]the adapted model is not better on the hold-out; the active model is unchanged[/]"
            )
        return
    if soup:
        from voc.train.soup import soup_sentiment

        meta = soup_sentiment(
            soup, out, data_dir, cache_dir=cache_dir, sst_min_words=sst_min_words, threads=threads,
            recipe=soup_recipe.value, weights=weights.value,
        )  # fmt: skip
        console.print(f"wrote {out}: the average of {len(meta['soup']['chosen'])} of {len(soup)} runs")
        if not meta["soup"]["airline_val_held_out"]:
            console.print(
                "[yellow]some runs trained on airline validation fold 0: its numbers below are not held out; "
                "SST-2 validation is[/]"
            )
        for cand in meta["soup"]["candidates"]:
            used = "used" if cand["folder"] in meta["soup"]["chosen"] else "left out"
            console.print(f"  {cand['folder']}: validation rule {cand['rule']:.4f} alone ({used})")
        biased = meta["val_airline_with_bias"]
        console.print(
            f"validation (from train): {json.dumps(meta['val'])}"
            + (f"; airline with biases {biased}" if biased is not None else "; no biases tuned")
        )
        return
    from voc.train.sentiment import TrainOptions, train_sentiment

    opts = TrainOptions(
        data_dir=data_dir, out_dir=out, epochs=epochs, split=split, sst_max=sst_max, sst_min_words=sst_min_words,
        seed=seed, cache_dir=cache_dir, threads=threads, sst_weight=sst_weight,
        class_weight_power=class_weight_power, add_member=add_member, sst_loss=sst_loss.value,
        weights=weights.value, teacher=teacher, teacher_weight=teacher_weight, val_fold=val_fold,
    )  # fmt: skip
    res = train_sentiment(opts)
    console.print(f"wrote {out} in {res['seconds']['total']:.0f} s")
    console.print(
        f"validation (from train): {json.dumps(res['val'])}; airline with biases {res['val_airline_with_bias']}"
    )
    if "ensemble_val" in res:
        console.print(
            f"the ensemble of {res['ensemble_val']['members']} on validation: {json.dumps(res['ensemble_val'])}"
        )


@eval_app.command("sentiment")
def eval_sentiment_cmd(
    data: Annotated[Path, typer.Option(help="CSV or TSV with a text and a label column")],
    text_col: Annotated[str, typer.Option(help="text column")] = "text",
    label_col: Annotated[str, typer.Option(help="label column: negative/neutral/positive, or 0/1")] = "label",
    config: ConfigOpt = None,
    model: Annotated[str | None, typer.Option(help="model to measure (default: sentiment.model)")] = None,
    split: Annotated[str, typer.Option(help="auto (test split when --id-col exists) | all | test")] = "auto",
    id_col: Annotated[str, typer.Option(help="id column the fixed test split hashes")] = "tweet_id",
    limit: Annotated[int | None, typer.Option(help="score only the first N rows")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the results as JSON")] = None,
) -> None:
    """Accuracy, macro-F1 and confusion matrix of the active model and of VADER on the same rows.

    The model is scored on the texts read whole, then as `voc analyze` stores items.
    """
    from voc.eval.metrics import format_confusion
    from voc.eval.sentiment import evaluate_sentiment

    cfg = load(config)
    out = evaluate_sentiment(
        data, text_col, label_col, model_ref=model or cfg.sentiment.model, root=str(cfg.root), split=split,
        id_col=id_col, limit=limit, sentences_in_context=cfg.sentiment.sentences_in_context,
    )  # fmt: skip
    console.print(
        f"[bold]{out['data']}[/]: {out['note']}"
        + (" (binary: neutral -> more likely side)" if out["binary"] else "")
    )
    for r in out["results"]:
        console.print(
            f"\n[bold]{r.system}[/]  n={r.n}  accuracy [bold]{r.accuracy:.3f}[/]  macro-F1 [bold]{r.macro_f1:.3f}[/]"
            f"  ({r.texts_per_s:.0f} texts/s)"
        )
        console.print("per-class F1: " + ", ".join(f"{k} {v:.3f}" for k, v in r.per_class_f1.items()))
        console.print(format_confusion(r.confusion, r.labels))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            **{k: v for k, v in out.items() if k != "results"},
            "results": [r.as_dict() for r in out["results"]],
        }
        json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


DataDir = Annotated[Path, typer.Option(help="the shared datasets (read each SOURCE.md)")]
JsonOut = Annotated[Path | None, typer.Option("--json", help="also write the results as JSON")]


def _write_json(path: Path | None, payload: object) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n", encoding="utf-8")


def _jsonable(value: object) -> object:
    if hasattr(value, "as_dict"):
        return value.as_dict()  # type: ignore[union-attr]
    if hasattr(value, "tolist"):
        return value.tolist()  # type: ignore[union-attr]
    return str(value)


@train_app.command("item-calibrator")
def train_item_calibrator_cmd(
    config: ConfigOpt = None,
    data_dir: DataDir = Path("../shared/data"),
    out: Annotated[
        Path | None,
        typer.Option(help="where to write it (default: item_calibrator.json in the model's folder)"),
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option(help="cache of the model's readings (reused across runs)")
    ] = None,
    features: Annotated[
        str | None, typer.Option(help="skip the comparison: fit this feature set (whole|all)")
    ] = None,
    class_power: Annotated[
        float, typer.Option(help="with --features: class weight = frequency^-power")
    ] = 1.0,
    nhs_view: Annotated[
        str, typer.Option(help="with --features: NHS labels from the FFT score or comment")
    ] = "score",
) -> None:
    """Fit the item-sentiment calibrator on the rated datasets' train splits (compares designs first; minutes).

    Candidates are compared on validation folds and leave-one-dataset-out, on
    train splits only; the one with the best mean LODO macro-F1 over the rated
    sets is fitted (ties: fewer features, then CV).
    """
    from voc.eval.itemdata import DATASETS, RATED, check_files
    from voc.nlp.calibrate import CALIBRATOR_FILE
    from voc.nlp.sentiment import load_sentiment_model
    from voc.train.calibrate import Recipe, fit_item_calibrator

    _logging()
    cfg = load(config)
    check_files(data_dir, DATASETS)  # before the model loads
    model = load_sentiment_model(cfg.sentiment.model, str(cfg.root))
    recipe = (
        None if features is None else Recipe(features=features, class_power=class_power, nhs_view=nhs_view)
    )
    head = " ".join(f"{n[:7]:>7}" for n in DATASETS)
    console.print(
        f"macro-F1 on TRAIN splits: validation folds | leave-one-dataset-out\n{'':72} {head} | {head}"
    )

    def show(rec: Recipe, res: dict[str, dict[str, float]]) -> None:
        cv = " ".join(f"{res['cv'][n]:7.3f}" for n in DATASETS)
        lo = " ".join(f"{res['lodo'][n]:7.3f}" for n in DATASETS)
        m = sum(res["lodo"][n] for n in RATED) / len(RATED)
        console.print(f"{rec.label:72} {cv} | {lo}  (LODO mean of rated {m:.3f})")

    cal, _results = fit_item_calibrator(data_dir, model, cache_dir=cache_dir, recipe=recipe, progress=show)
    target = out or (getattr(model, "folder", None) or Path(".")) / CALIBRATOR_FILE
    cal.save(Path(target))
    console.print(f"chosen: {Recipe.from_dict(cal.meta['recipe']).label}\nwrote {target} ({cal.digest})")


@train_app.command("item-tone")
def train_item_tone_cmd(
    config: ConfigOpt = None,
    data_dir: DataDir = Path("../shared/data"),
    out: Annotated[
        Path | None,
        typer.Option(
            help="model folder to write it into (default: the active model's folder); another "
            "folder gets a copy of the sentence model too"
        ),
    ] = None,
    leave: Annotated[
        str | None, typer.Option(help="leave this rated set out (amazon, hotels, uber, nhs): a LODO check")
    ] = None,
    layers: Annotated[int, typer.Option(help="the reader's own fine-tuned layers (1..3)")] = 3,
    epochs: Annotated[int, typer.Option(help="epochs (validation fold 0 keeps the best)")] = 2,
    seed: Annotated[int, typer.Option(help="random seed")] = 1,
    threads: Annotated[int | None, typer.Option(help="torch threads")] = None,
    cache_dir: Annotated[
        Path | None, typer.Option(help="cache of the frozen layers' states (reused across runs)")
    ] = None,
) -> None:
    """Fit the tone reader of reviews and surveys on the rated sets' train splits (stars as weak labels; minutes).

    Score it afterwards with `voc eval items` (with --leave, point
    VOC_SENTIMENT_MODEL_DIR at --out and score the left-out set).
    """
    from voc.eval.itemdata import check_files
    from voc.nlp.sentiment import TopLayersSentiment, load_sentiment_model
    from voc.train.tone import ToneOptions, train_tone, validation_line

    _logging()
    cfg = load(config)
    opts = ToneOptions(layers=layers, epochs=epochs, seed=seed, leave=leave)
    check_files(data_dir, opts.datasets)  # E270 names a missing file before the model loads
    model = load_sentiment_model(cfg.sentiment.model, str(cfg.root))
    if not isinstance(model, TopLayersSentiment):
        raise ModelError(
            f"the tone reader branches off the project's own model; sentiment.model is {cfg.sentiment.model!r}. "
            "Set sentiment.model = 'default' (or a folder trained by `voc train sentiment`)",
            code="E433",
        )
    target = out or Path(model.folder)
    meta = train_tone(data_dir, model, target, opts, cache_dir=cache_dir, threads=threads)
    console.print(f"wrote the tone reader into {target} in {meta['seconds']:.0f} s (left out: {leave})")
    console.print(validation_line(meta["validation"]["best"]))


@eval_app.command("items")
def eval_items_cmd(
    config: ConfigOpt = None,
    data_dir: DataDir = Path("../shared/data"),
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", help="amazon, hotels, uber, nhs (repeat; default all four)"),
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="cache of the model's readings")] = None,
    lodo: Annotated[bool, typer.Option(help="also refit the calibrator without each dataset (LODO)")] = True,
    limit: Annotated[
        int | None, typer.Option(help="quick run: the first N test rows (and 3N train rows) of each dataset")
    ] = None,
    json_out: JsonOut = None,
) -> None:
    """Item sentiment (overall tone) against stars and survey scores on held-out test splits, with baselines.

    Macro-F1 with bootstrap standard errors: the tone reader's item label (as
    `voc analyze` stores a review), the session-11 calibrated label, the label
    stored before both, VADER, the best-two-cut-points oracle of the old and the
    new score, and the calibrator refitted without the dataset (LODO).
    """
    from voc.eval.itemdata import RATED
    from voc.eval.items import evaluate_items

    cfg = load(config)
    out = evaluate_items(
        data_dir, datasets=dataset or list(RATED), model_ref=cfg.sentiment.model, root=str(cfg.root),
        cache_dir=cache_dir, lodo=lodo, limit=limit,
    )  # fmt: skip
    console.print(
        f"model {out['model']}; tone reader {(out['tone'] or {}).get('recipe')}; "
        f"calibrator recipe {(out['calibrator'] or {}).get('recipe')}"
    )
    for name, d in out["datasets"].items():
        t = d["truth"]
        console.print(
            f"\n[bold]{name}[/], test split: n={d['n']} (negative {t[0]}, neutral {t[1]}, positive {t[2]}); "
            f"old score cuts {d['cuts']['old'][0]:+.3f} / {d['cuts']['old'][1]:+.3f}"
            + (f", new {d['cuts']['new'][0]:+.3f} / {d['cuts']['new'][1]:+.3f}" if "new" in d["cuts"] else "")
        )
        for r in d["rows"]:
            p = r["predicted"]
            console.print(
                f"  {r['system']:58} macro-F1 [bold]{r['macro_f1']:.3f}[/] ± {r['se']:.3f}   "
                f"vs old cuts {r['minus_old_cuts']:+.3f} ± {r['minus_old_cuts_se']:.3f}   "
                f"vs before {r['minus_before']:+.3f} ± {r['minus_before_se']:.3f}   "
                f"predicted {p[0]}/{p[1]}/{p[2]}"
            )
    _write_json(json_out, out)


@eval_app.command("mentions")
def eval_mentions_cmd(
    config: ConfigOpt = None,
    data_dir: DataDir = Path("../shared/data"),
    domain: Annotated[
        list[str] | None, typer.Option("--domain", help="restaurants, laptops (repeat)")
    ] = None,
    split: Annotated[str, typer.Option(help="test (the figures) or train (for decisions)")] = "test",
    limit: Annotated[int | None, typer.Option(help="only the first N sentences of each domain")] = None,
    json_out: JsonOut = None,
) -> None:
    """Mention-level sentiment on SemEval-2014 aspect terms: the polarity of the mention holding each term."""
    from voc.eval.mentions import DOMAINS, evaluate_mentions

    cfg = load(config)
    out = evaluate_mentions(
        data_dir, domains=domain or list(DOMAINS), split=split, model_ref=cfg.sentiment.model,
        root=str(cfg.root), limit=limit,
    )  # fmt: skip
    for name, d in out["domains"].items():
        console.print(
            f"\n[bold]{name}[/] ({split}): {d['terms']} aspect terms in {d['sentences']} sentences "
            f"(gold {d['gold']}); {d['sentences_with_several_mentions']} sentences have several mentions, "
            f"{d['terms_across_a_cut']} terms cross a cut"
        )
        for r in d["results"]:
            console.print(
                f"  {r.system:48} accuracy [bold]{r.accuracy:.3f}[/]  macro-F1 [bold]{r.macro_f1:.3f}[/] ± {r.se:.3f}"
            )
    _write_json(json_out, out)


@eval_app.command("complaints")
def eval_complaints_cmd(
    config: ConfigOpt = None,
    data_dir: DataDir = Path("../shared/data"),
    limit: Annotated[int | None, typer.Option(help="only the first N tweets")] = None,
    json_out: JsonOut = None,
) -> None:
    """Complaint detection on tweets to nine industries' support handles: precision and recall, with baselines."""
    from voc.eval.complaints import evaluate_complaints

    cfg = load(config)
    out = evaluate_complaints(data_dir, model_ref=cfg.sentiment.model, root=str(cfg.root), limit=limit)
    console.print(f"{out['n']} support-directed tweets; {out['base_rate']:.3f} are complaints")
    group = None
    for r in out["rows"]:
        if r["group"] != group:
            group = r["group"]
            console.print(f"\n[bold]{group}[/] (n={r['n']}, complaints {r['true']})")
        console.print(
            f"  {r['system']:52} precision [bold]{r['precision']:.3f}[/] ± {r['precision_se']:.3f}  "
            f"recall [bold]{r['recall']:.3f}[/] ± {r['recall_se']:.3f}  F1 {r['f1']:.3f}"
        )
    _write_json(json_out, out)
