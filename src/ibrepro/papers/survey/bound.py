"""The survey's convergence of the layers to the IB bound (after Shwartz-Ziv & Tishby): the
trained SZT tanh net's information plane against the IB curve of the SZT data. Bits."""

from __future__ import annotations

from ibrepro.figures.plane import information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.ib import curve_gap, szt_curves

NET = ("szt-tanh", "bin-size-0.07")  # the survey's trained net: SZT tanh, rip's bin size


def ib_bound(inputs: ItemInputs):
    """The szt-tanh layers (bin size 0.07) against the SZT bound, and a zoom onto I(T;Y)."""
    exact, noisy, rate = szt_curves(inputs.dataset("szt"), inputs.dataset("szt-noisy"))
    plane = mean_plane(inputs.mi(*NET))
    fig, axes = new_figure(1, 2, height=3.3)
    for ax in axes.flat:
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=ax is axes[0, 0])
        ax.plot(exact.I_XT, exact.I_TY, label="IB bound (SZT)", color="black", lw=1.2)
    axes[0, 0].plot(noisy.I_XT, noisy.I_TY, label=f"IB bound, {rate:.2f} flips", color="grey",
                    lw=0.9, ls="--")
    axes[0, 1].set_xlim(plane.i_xt[-1].min() - 0.5, exact.I_XT[-1] + 0.2)
    axes[0, 1].set_ylim(plane.i_ty[-1].min() - 0.05, exact.I_TY[-1] + 0.02)
    axes[0, 1].set_title("zoom onto the last epochs")
    axes[0, 1].legend(loc="lower right")
    gap = curve_gap(exact, plane.i_xt[-1], plane.i_ty[-1])
    above = int((curve_gap(exact, plane.i_xt, plane.i_ty) < -1e-9).sum())
    caption = (
        f"survey, convergence of the layers to the IB bound (after Shwartz-Ziv & Tishby): the "
        f"information plane of the SZT tanh net ({NET[0]}, binning {NET[1]}) against the IB "
        f"curve of the SZT data (black; dashed: labels flipped at the szt-noisy rate "
        f"{rate:.4f}); right: zoom. {plane_summary(plane)} Last-epoch distance below the bound "
        f"in I(T;Y) per layer ({', '.join(plane.layer_names)}): "
        f"{', '.join(f'{g:.4f}' for g in gap)} bits; points above the bound: {above} of "
        f"{plane.i_xt.size} (a binned layer is a representation of X, so plug-in estimates on "
        f"the same samples stay below it). The survey reports the layers close to the curve."
    )
    return fig, caption


register(Item("survey/ib-bound", "figure", ib_bound, mi=(NET,), datasets=("szt", "szt-noisy"),
              description="layers of the trained SZT tanh net against the theoretical IB curve"))
