"""The application layer: what the explorer window and the command line share, without Qt.

Loading a store with its model (:mod:`.loading`), the sample data (:mod:`.demo`), a dataset's fields
and maps (:mod:`.dataset`, :mod:`.maps`), the probe's render (:mod:`.probe`), the training job
(:mod:`.training_job`) and the project session's policy (:mod:`.project_session`). Every function
that takes time runs on a worker thread and takes ``progress`` / ``cancel`` callbacks; every decision
(recover? save first?) is an argument. import-linter keeps PySide6, pyqtgraph and superqt out of
this package, directly or not.
"""
