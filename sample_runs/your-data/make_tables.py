"""Write the two example tables of docs/your-data.md from data scikit-learn ships (offline, deterministic):

- iris.csv: classification with string labels (`species`), a categorical feature (`site`) and an id column;
- diabetes.csv: regression on `progression`, with `sex` as a categorical feature.

Run: python sample_runs/your-data/make_tables.py [OUT_DIR]   (default: next to this script)
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes, load_iris


def iris() -> pd.DataFrame:
    data = load_iris()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(data.data, columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    frame.insert(0, "sample_id", [f"S{i:04d}" for i in range(len(frame))])
    frame["site"] = rng.choice(["north", "south", "east"], size=len(frame))
    frame["species"] = [str(data.target_names[t]) for t in data.target]
    return frame


def diabetes() -> pd.DataFrame:
    data = load_diabetes(scaled=False)
    frame = pd.DataFrame(data.data, columns=["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"])
    frame["sex"] = np.where(frame["sex"] == 1, "F", "M")
    frame["progression"] = data.target
    return frame


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    out.mkdir(parents=True, exist_ok=True)
    iris().to_csv(out / "iris.csv", index=False)
    diabetes().to_csv(out / "diabetes.csv", index=False)
    print(f"wrote {out / 'iris.csv'} and {out / 'diabetes.csv'}")
