"""Students' materials and the 综评 workflow: 写实记录 with their attachments, review, 公示 and
归档 (docs/materials.md). Import the modules themselves: `processing` needs Pillow, which only
the materials function's layer has."""
