"""Ship the top-level templates/ and answers/ inside the package, so an installed wheel serves.

They stay at the top of the repository, where editors and STYLE.md expect them; the build copies
them to faq_bot/templates and faq_bot/answers, which faq_bot.settings prefers when present.
Everything else about the package is in pyproject.toml.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED_FOLDERS = ("templates", "answers")


class BuildWithContent(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own folders
            return
        for folder in SHIPPED_FOLDERS:
            self.copy_tree(folder, os.path.join(self.build_lib, "faq_bot", folder))


# Build under .build/, not build/: a build/ folder in the tree would shadow `python -m build`.
setup(cmdclass={"build_py": BuildWithContent}, options={"build": {"build_base": ".build"}})
