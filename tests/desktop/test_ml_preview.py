"""The inspector's output preview shows the AI library's values well: a matplotlib figure as a picture,
a DataFrame and a Series as tables."""

from __future__ import annotations

import pandas as pd
from nodeloom.core.builtins import ml_data, ml_models, ml_plots
from nodeloom.core.context import Context
from nodeloom.desktop.run.output_preview import preview_widget
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QTableView


def test_figure_table_and_series_previews(qtbot) -> None:
    _, X, y = ml_data.load_dataset("iris")
    fitted = ml_models.fit(Context.detached(), ml_models.estimator("knn_classifier"), X, y)
    figure = ml_plots.confusion_matrix(y, fitted, X)
    picture = preview_widget(figure)
    qtbot.addWidget(picture)
    assert isinstance(picture, QScrollArea)
    label = picture.widget()
    assert isinstance(label, QLabel) and label.objectName() == "image_preview"
    assert label.pixmap().width() > 200 and label.pixmap().height() > 200
    table = preview_widget(X)
    qtbot.addWidget(table)
    assert (
        isinstance(table, QTableView) and table.model().rowCount() == 150 and table.model().columnCount() == 4
    )
    assert table.model().headerData(0, Qt.Orientation.Horizontal) == "sepal length (cm)"
    series = preview_widget(pd.Series([1.5, 2.5], name="prediction"))
    qtbot.addWidget(series)
    assert isinstance(series, QTableView) and series.model().rowCount() == 2
