"""`distill { teacher = ...  temperature = 4  alpha = 0.9 }`, checked against the student.

The soft term pairs with the labels' plain cross-entropy (the student is a classifier of
the teacher's classes); the teacher is read now, statically: its recipe (the file, or the
one a saved model stores) must parse and check, and its model must take the student's input
shape and output its number of classes. Nothing is trained or loaded here."""
from __future__ import annotations

from pathlib import Path

from ..diagnostics import RecipeError
from ..recipe import Call, DistillSpec, ModelSpec
from ..syntax import ast
from .values import Ctx


def check_distill(ctx: Ctx, st: ast.Stmt, keyed: dict, loss: Call | None,
                  model: ModelSpec, searched: bool) -> DistillSpec | None:
    teacher: Call = keyed["teacher"]
    ok = True
    if loss is not None and (loss.kind != "cross_entropy"
                             or loss.options.get("label_smoothing", 0.0)
                             or loss.options.get("class_weights") is not None):
        ctx.error(st.name_span, "E201", "distill: the soft term pairs with the labels' plain "
                  f"cross-entropy; this recipe's loss is {_described(loss)}",
                  "use `loss = cross_entropy` (the teacher's soft targets already smooth "
                  "the labels)")
        ok = False
    if searched:
        ctx.error(st.name_span, "E201", "distill: a search's trials train side by side "
                  "without the teacher's targets", "search the student's recipe without "
                  "`distill`, then distil the chosen point with `recipec run`")
        ok = False
    path = teacher["path"]
    base = Path(ctx.file).parent if ctx.file and not ctx.file.startswith("<") else Path(".")
    found = base / path
    recipe_file = found / "recipe.recipe" if teacher.kind == "model" else found
    what = "saved model" if teacher.kind == "model" else "teacher recipe"
    if not path:
        ctx.error(teacher.span, "E202", "distill: the teacher's path is empty")
        return None
    if ctx.stored:          # a saved model: trained already, its teacher may be gone
        return DistillSpec(teacher.kind, path, keyed["temperature"], keyed["alpha"], st.span) \
            if ok else None
    if not recipe_file.is_file():
        where = (f"no saved model in {found} (no recipe.recipe there)"
                 if teacher.kind == "model" else f"no recipe file at {found}")
        ctx.error(teacher.span, "E309", f"distill: {where}",
                  "paths are relative to this recipe's folder" if not Path(path).is_absolute()
                  else None)
        return None
    ok = _same_shapes(ctx, teacher, recipe_file, what, model) and ok
    if not ok:
        return None
    return DistillSpec(teacher.kind, path, keyed["temperature"], keyed["alpha"], st.span)


def _described(loss: Call) -> str:
    if loss.kind != "cross_entropy":
        return f"`{loss.kind}`"
    return "cross_entropy with " + ("label smoothing" if loss.options.get("label_smoothing")
                                    else "class weights")


def _same_shapes(ctx: Ctx, teacher: Call, recipe_file: Path, what: str,
                 model: ModelSpec) -> bool:
    from . import check_file

    try:
        other = check_file(recipe_file)
    except RecipeError as err:
        first = err.diagnostics[0]
        ctx.error(teacher.span, "E309", f"distill: the {what} does not check: "
                  f"{first.span.file}:{first.span.line}:{first.span.col}: {first.message}",
                  f"run `recipec check {recipe_file}`")
        return False
    mine, theirs = tuple(model.output_shape), tuple(other.model.output_shape)
    if theirs != mine:
        ctx.error(teacher.span, "E309", f"distill: the teacher outputs {list(theirs)}, the "
                  f"student {list(mine)}: its soft targets need one score per class of the "
                  "student", "distil from a teacher of the same classes")
        return False
    if tuple(other.model.input_shape) != tuple(model.input_shape):
        ctx.error(teacher.span, "E309", f"distill: the teacher takes inputs "
                  f"{list(other.model.input_shape)}, the student "
                  f"{list(model.input_shape)}: it reads the student's rows",
                  "give both the same `input` (and data reshape)")
        return False
    return True
